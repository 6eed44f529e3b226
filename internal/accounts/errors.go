package accounts

import (
	"errors"
	"fmt"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// NotFoundError is a missing account or key, in the words a user reads:
// "no account 99". It matches store.ErrNotFound (errors.Is).
type NotFoundError struct {
	// What is missing, e.g. "account 99".
	What string
}

// Error returns "no " + What.
func (e *NotFoundError) Error() string { return "no " + e.What }

// Is reports whether target is store.ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == store.ErrNotFound }

// notFound turns a store "not found" into a *NotFoundError naming what,
// and returns other errors unchanged.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, store.ErrNotFound) {
		return &NotFoundError{What: fmt.Sprintf(format, args...)}
	}
	return err
}
