"""Web pages of leads beyond the generic views: conversion, and the public inquiry form."""

from __future__ import annotations

urlpatterns: list = []
