//! layout tests.
