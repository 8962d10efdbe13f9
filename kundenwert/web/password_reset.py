"""Password reset by e-mail: Django's views and tokens with the web app's templates."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from kundenwert.identity.signals import password_changed


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for an address; always show the same "done" page so addresses cannot be probed."""

    template_name = "web/auth/password_reset_form.html"
    email_template_name = "web/email/password_reset_body.txt"
    subject_template_name = "web/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    """Tell the user to check their mailbox."""

    template_name = "web/auth/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password from the e-mailed link (or say that the link is invalid)."""

    template_name = "web/auth/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # The link proved control of the mailbox: the user is the actor of the change.
        password_changed.send(sender=type(form.user), actor=form.user, user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    """Confirm the new password and point to the sign-in page."""

    template_name = "web/auth/password_reset_complete.html"
