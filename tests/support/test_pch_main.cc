// Copyright 2026 The fan-out engine authors.
//
// The stand-in that builds the tests' precompiled header (tests/
// CMakeLists.txt, support/test_pch.h); its main is GoogleTest's, and it has
// no tests.
