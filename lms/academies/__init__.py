"""Academies: the institutions that accredit training. Administrators create and edit them."""
