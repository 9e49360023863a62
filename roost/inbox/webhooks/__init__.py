"""Inbound webhook deliveries: the payload (`payload`), checking and storing a delivery
(`deliveries`), reading its receipts (`selectors`), and the endpoint and settings pages
(`views`, `urls`)."""
