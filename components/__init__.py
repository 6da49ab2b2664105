"""Layout only: functions that return Dash components. Every id lives in ids.py."""
