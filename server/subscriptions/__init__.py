"""Members' consent to subscribe messages: how many one-time reminders each may still be sent, per template."""
