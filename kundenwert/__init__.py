"""Kundenwert: an open-source CRM built around customer lifetime value and satisfaction."""

__version__ = "0.1.0.dev0"
