"""Secretaries' notices (通知公告): a short notice to a branch, a party group, chosen members or a subtree,
delivered to the members' inbox beside the newspaper, with read and acknowledgement receipts and reminders."""
