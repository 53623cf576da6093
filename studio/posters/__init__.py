"""Posters (issue 12): a background plus text, overlay and QR layers, rendered server-side with Pillow."""
