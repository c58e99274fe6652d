"""The embedded local stack: the real SAM template deployed into moto, served without Docker."""
