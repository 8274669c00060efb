//! The inference backends: the embedded CPU engine on the real model, and
//! the OpenAI-compatible backend against a recorded llama.cpp server
//! (a test double named as one). One binary: one link.

mod common;
mod cpu_backend;
mod openai_recorded_double;
