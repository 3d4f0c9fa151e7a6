"""Webhooks: signed JSON deliveries of portal events to URLs admins register."""
