"""File exports shared by the audit log and the calendars."""
