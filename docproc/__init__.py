"""docproc: private document intelligence for legal, medical and financial documents."""
