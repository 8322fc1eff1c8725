// Written by `make mp-config` from mp_config/; edit that file, not this one.
module.exports = {
  "apiBase": "http://127.0.0.1:5000",
  "subscribeTemplates": {
    "meeting_reminder": "demo_meeting_reminder",
    "dues_reminder": "demo_dues_reminder",
    "quiz_open": "demo_quiz_open",
    "newspaper_issue": "demo_newspaper_issue",
    "political_birthday": "demo_political_birthday",
    "letter_reply": "demo_letter_reply",
    "notice": "demo_notice"
  }
};
