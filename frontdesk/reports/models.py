"""The reports app only reads; its weekly e-mail goes through the staff e-mail outbox (notifications)."""
