"""Delivering a written report: dated files, email over SMTP, Slack-compatible webhooks."""
