//! Policy linter.
