"""The CCP rules layer: pure rules (`ccp.rules`), the one data layer (`ccp.data`), shared errors."""
