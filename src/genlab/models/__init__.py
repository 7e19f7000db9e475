"""Model families behind one protocol (base.py), by name in registry.py; opening run folders (loading.py)."""
