//! helm_interop tests.
