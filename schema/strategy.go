package schema

import (
	"fmt"
	"strings"
)

// Strategy is a schema compatibility strategy (Pulsar's SchemaCompatibilityStrategy). It is
// set per namespace and per topic; callers pass the effective one.
type Strategy int

const (
	// Undefined means "not set here": the next level decides, and in the end FULL.
	Undefined Strategy = iota
	AlwaysIncompatible
	AlwaysCompatible
	// Backward: the new schema can read data written with the latest one.
	Backward
	// Forward: the latest schema can read data written with the new one.
	Forward
	// Full: both Backward and Forward.
	Full
	BackwardTransitive
	ForwardTransitive
	FullTransitive
)

var strategyNames = [...]string{
	Undefined: "UNDEFINED", AlwaysIncompatible: "ALWAYS_INCOMPATIBLE",
	AlwaysCompatible: "ALWAYS_COMPATIBLE", Backward: "BACKWARD", Forward: "FORWARD",
	Full: "FULL", BackwardTransitive: "BACKWARD_TRANSITIVE",
	ForwardTransitive: "FORWARD_TRANSITIVE", FullTransitive: "FULL_TRANSITIVE",
}

// String returns Pulsar's name ("FULL", "BACKWARD_TRANSITIVE", ...).
func (s Strategy) String() string {
	if s >= 0 && int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return fmt.Sprintf("Strategy(%d)", int(s))
}

// MarshalText writes Pulsar's name, so policies serialise as Pulsar's do.
func (s Strategy) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads any name ParseStrategy accepts.
func (s *Strategy) UnmarshalText(b []byte) error {
	v, err := ParseStrategy(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// autoUpdateNames are the legacy schema_auto_update_compatibility_strategy values; Pulsar
// maps them onto strategies (AutoUpdateDisabled means ALWAYS_INCOMPATIBLE).
var autoUpdateNames = map[string]Strategy{
	"AUTOUPDATEDISABLED": AlwaysIncompatible, "BACKWARD": Backward, "FORWARD": Forward,
	"FULL": Full, "ALWAYSCOMPATIBLE": AlwaysCompatible, "BACKWARDTRANSITIVE": BackwardTransitive,
	"FORWARDTRANSITIVE": ForwardTransitive, "FULLTRANSITIVE": FullTransitive,
}

// ParseStrategy reads a strategy as a namespace or topic policy holds it: Pulsar's
// SchemaCompatibilityStrategy names ("FULL", "backward_transitive"), the legacy
// auto-update names ("Full", "AutoUpdateDisabled", "BackwardTransitive"), or "" for
// Undefined. Case does not matter.
func ParseStrategy(s string) (Strategy, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == "" {
		return Undefined, nil
	}
	for i, n := range strategyNames {
		if n == u {
			return Strategy(i), nil
		}
	}
	if v, ok := autoUpdateNames[u]; ok {
		return v, nil
	}
	return Undefined, fmt.Errorf("schema: unknown compatibility strategy %q", s)
}

// Effective resolves Undefined to Pulsar's default, FULL.
func (s Strategy) Effective() Strategy {
	if s == Undefined {
		return Full
	}
	return s
}

// Resolve returns the first defined strategy of topic, namespace and broker levels, in that
// order, or FULL.
func Resolve(levels ...Strategy) Strategy {
	for _, s := range levels {
		if s != Undefined {
			return s
		}
	}
	return Full
}

// transitive reports the strategies that check against every version, not just the latest.
func (s Strategy) transitive() bool {
	return s == BackwardTransitive || s == ForwardTransitive || s == FullTransitive
}

// directions reports which reads a strategy demands: newReadsOld (the new schema reads data
// of the existing one) and oldReadsNew (the existing one reads data of the new schema).
func (s Strategy) directions() (newReadsOld, oldReadsNew bool) {
	switch s {
	case Backward, BackwardTransitive:
		return true, false
	case Forward, ForwardTransitive:
		return false, true
	case Full, FullTransitive:
		return true, true
	}
	return false, false
}
