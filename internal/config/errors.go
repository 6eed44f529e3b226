package config

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"
)

// FlagError is a setting Validate refuses, named by its flag.
type FlagError struct {
	// Flag is the flag's name, without dashes.
	Flag string
	// Value is the value refused, as given.
	Value string
	// Want is the form expected, e.g. `"text" or "json"`, "at least 1".
	Want string
	// Reason, when set, says what is wrong instead of Want.
	Reason string
}

// Error returns e.g. `--log-format "xml": want "text" or "json"`.
func (e *FlagError) Error() string {
	return fmt.Sprintf("--%s %q: %s", e.Flag, e.Value, e.why())
}

// why is Reason, or "want " + Want.
func (e *FlagError) why() string {
	if e.Reason != "" {
		return e.Reason
	}
	return "want " + e.Want
}

// flagErr builds a *FlagError, formatting value with %v.
func flagErr(flag string, value any, want string) error {
	return &FlagError{Flag: flag, Value: fmt.Sprint(value), Want: want}
}

// envFlagError is a FlagError whose value came from an environment
// variable.
type envFlagError struct {
	*FlagError
	env string
}

func (e *envFlagError) Error() string {
	return fmt.Sprintf("%s=%q (it sets --%s): %s", e.env, e.Value, e.Flag, e.why())
}

func (e *envFlagError) Unwrap() error { return e.FlagError }

// NameSources rewrites the *FlagErrors in err (one, or joined) whose flag
// in fs was set from the environment so that they name the variable:
// `IVVY_NOTIFY_LOG_FORMAT="xml" (it sets --log-format): want "text" or "json"`.
func NameSources(err error, fs *pflag.FlagSet) error {
	if err == nil {
		return nil
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]error, len(list))
	changed := false
	for i, e := range list {
		out[i] = e
		fe, ok := e.(*FlagError)
		if !ok {
			continue
		}
		if f := fs.Lookup(fe.Flag); f != nil {
			if name, ok := SetFromEnv(f); ok {
				out[i] = &envFlagError{FlagError: fe, env: name}
				changed = true
			}
		}
	}
	if !changed {
		return err
	}
	return errors.Join(out...)
}
