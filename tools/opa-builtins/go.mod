module driftgate.dev/opa-builtins

go 1.24
