//! Integration tests, as one binary: each theme is a module.

mod integration {
    pub mod analytic;
    pub mod bad_inputs;
    pub mod calibrate;
    pub mod classroom;
    pub mod cli;
    pub mod clients;
    pub mod common;
    pub mod compare;
    pub mod determinism;
    pub mod fuzz;
    pub mod properties;
    pub mod reference;
    pub mod report;
    pub mod rules;
    pub mod scenarios;
    pub mod sensitivity;
    pub mod storage;
    pub mod trace;
}
