"""Pure CCP rules: functions of data and dates. No clock, no network, no boto3 here."""
