"""The program's domain model: entities (`records`) and value objects (`values`).

Rules (`ccp.rules`) and the data layer (`ccp.data`) both import it; it imports neither. Only the
data layer knows how an entity is stored.
"""
