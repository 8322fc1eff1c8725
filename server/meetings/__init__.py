"""Meetings (三会一课 and others) and QR check-in that cannot be faked."""
