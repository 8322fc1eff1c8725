"""A member's inbox: what was delivered to them (newspaper issues now, secretaries' notices later) and the
subscribe messages that tell them so. Shared by every feature that delivers something to many members."""
