"""Email: composing messages, the outbox every email passes through, and sending it by SMTP or to the log."""
