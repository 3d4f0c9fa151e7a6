"""Notifications: what a member should hear about, stored per person, listed with unread counts."""
