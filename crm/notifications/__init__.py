"""In-app notifications: the bell, the notification centre."""
