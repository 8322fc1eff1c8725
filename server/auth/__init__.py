"""Who is who: admin accounts, mini-program sessions, WeChat binding, roles and scope."""
