"""The publish gate's judges (one module per rule family) and its independent recomputations."""
