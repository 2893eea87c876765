"""Log files: writing them (compressed or not), reading them back, and tallying countme hits the
way mirrors-countme does.
"""
