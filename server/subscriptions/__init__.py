"""Members' consent to subscribe messages: how many one-time reminders each may still be sent, per template.

The mini-program asks on a tap (``utils/subscribe.js`` ``askFor``) and reports WeChat's answer:

    POST /api/me/subscriptions  {"results": {"<template_id>": "accept" | "reject" | "ban" | "filter"}}
    GET  /api/me/subscriptions

Both answer ``{"subscriptions": [{"purpose", "title", "template_id", "remaining", "status_label",
"last_choice", "last_choice_at", "refused_at"}, …]}``, one item per purpose the deployment's mp_config has
a template for. The day-before meeting reminder (``server.meetings.tasks``) uses one per message sent and
sets the count to zero when WeChat answers 43101.
"""
