// OPA's own implementations of the pure builtins that `opa build -t wasm` leaves to the host and
// that driftgate does not write again in TypeScript (crypto.x509.*, crypto.parse_private_keys,
// graphql.*, json.match_schema, json.verify_schema, strings.render_template, rego.parse_module):
// built from the same OPA module as the opa binary, for GOOS=wasip1 as a reactor, and called
// synchronously from policies/engine/go-builtins.ts. Values cross as Rego text both ways, so
// sets and integers past 2^53 stay exact. No file system, network or environment is given to it.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unsafe"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
	"github.com/open-policy-agent/opa/v1/version"
)

var in, out []byte

// Builtins this module answers; any other name is refused.
var allowed = map[string]bool{
	"crypto.parse_private_keys":                              true,
	"crypto.x509.parse_and_verify_certificates":              true,
	"crypto.x509.parse_and_verify_certificates_with_options": true,
	"crypto.x509.parse_certificate_request":                  true,
	"crypto.x509.parse_certificates":                         true,
	"crypto.x509.parse_keypair":                              true,
	"crypto.x509.parse_rsa_private_key":                      true,
	"graphql.is_valid":                                       true,
	"graphql.parse":                                          true,
	"graphql.parse_and_verify":                               true,
	"graphql.parse_query":                                    true,
	"graphql.parse_schema":                                   true,
	"graphql.schema_is_valid":                                true,
	"json.match_schema":                                      true,
	"json.verify_schema":                                     true,
	"rego.parse_module":                                      true,
	"strings.render_template":                                true,
}

// input_buffer makes room for a request of n bytes and returns its address.
//
//go:wasmexport input_buffer
func inputBuffer(n int32) int32 {
	in = make([]byte, max(n, 1))
	return int32(uintptr(unsafe.Pointer(&in[0])))
}

// output_buffer is the address of the last answer.
//
//go:wasmexport output_buffer
func outputBuffer() int32 { return int32(uintptr(unsafe.Pointer(&out[0]))) }

// opa_version writes the OPA version this module was built from; returns its length.
//
//go:wasmexport opa_version
func opaVersion() int32 { return answer(version.Version) }

// call reads {"name": ..., "args": [Rego text, ...]} (n bytes) from the input buffer and writes
// {"value": Rego text} (nothing when undefined) or {"error", "code"}; returns the answer's length.
//
//go:wasmexport call
func call(n int32) (size int32) {
	defer func() {
		if r := recover(); r != nil {
			size = reply(nil, fmt.Errorf("internal error: %v", r), "eval_internal_error")
		}
	}()
	var req struct {
		Name string   `json:"name"`
		Args []string `json:"args"`
	}
	if err := json.Unmarshal(in[:n], &req); err != nil {
		return reply(nil, err, "eval_internal_error")
	}
	value, err := eval(req.Name, req.Args)
	if err != nil {
		return reply(nil, err, errorCode(err))
	}
	return reply(value, nil, "")
}

func eval(name string, args []string) (*ast.Term, error) {
	f := topdown.GetBuiltin(name)
	if !allowed[name] || f == nil {
		return nil, fmt.Errorf("not implemented: built-in function %s", name)
	}
	ops := make([]*ast.Term, len(args))
	for i, a := range args {
		t, err := ast.ParseTerm(a)
		if err != nil || !t.IsGround() {
			return nil, fmt.Errorf("operand %d is not a value", i+1)
		}
		ops[i] = t
	}
	bctx := topdown.BuiltinContext{
		Context: context.Background(),
		// No remote $ref in a JSON schema: an empty allow-list, not nil (which allows every host).
		Capabilities: &ast.Capabilities{AllowNet: []string{}},
	}
	var result *ast.Term
	err := f(bctx, ops, func(t *ast.Term) error { result = t; return nil })
	if err != nil {
		return nil, named(name, err)
	}
	return result, nil
}

// named gives an error OPA's wording: "name: message", as its evaluator reports a builtin's.
func named(name string, err error) error {
	var msg string
	if e, ok := err.(*topdown.Error); ok {
		msg = e.Message
	} else {
		msg = err.Error()
	}
	if !strings.HasPrefix(msg, name+":") {
		msg = name + ": " + msg
	}
	if _, ok := err.(builtins.ErrOperand); ok {
		return typeError{msg}
	}
	return fmt.Errorf("%s", msg)
}

type typeError struct{ msg string }

func (e typeError) Error() string { return e.msg }

func errorCode(err error) string {
	if _, ok := err.(typeError); ok {
		return "eval_type_error"
	}
	return "eval_builtin_error"
}

func reply(value *ast.Term, err error, code string) int32 {
	var ans map[string]string
	switch {
	case err != nil:
		ans = map[string]string{"error": err.Error(), "code": code}
	case value == nil:
		ans = map[string]string{}
	default:
		var b strings.Builder
		write(&b, value.Value)
		ans = map[string]string{"value": b.String()}
	}
	return answer(ans)
}

func answer(v any) int32 {
	out, _ = json.Marshal(v)
	return int32(len(out))
}

// write prints v in Rego's value syntax with JSON string escapes (opa_value_parse reads it).
func write(b *strings.Builder, v ast.Value) {
	switch x := v.(type) {
	case ast.String:
		s, _ := json.Marshal(string(x))
		b.Write(s)
	case *ast.Array:
		b.WriteByte('[')
		for i := 0; i < x.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			write(b, x.Elem(i).Value)
		}
		b.WriteByte(']')
	case ast.Object:
		b.WriteByte('{')
		for i, k := range x.Keys() {
			if i > 0 {
				b.WriteByte(',')
			}
			write(b, k.Value)
			b.WriteByte(':')
			write(b, x.Get(k).Value)
		}
		b.WriteByte('}')
	case ast.Set:
		if x.Len() == 0 {
			b.WriteString("set()")
			return
		}
		b.WriteByte('{')
		for i, k := range x.Slice() {
			if i > 0 {
				b.WriteByte(',')
			}
			write(b, k.Value)
		}
		b.WriteByte('}')
	default: // null, booleans, numbers (their exact digits)
		b.WriteString(v.String())
	}
}

func main() {}
