package secrets

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// File names inside the data directory.
const (
	MasterKeyFile  = "master.key"
	AdminTokenFile = "admin-token"
)

// Source says where a secret came from, for the start-up banner.
type Source struct {
	// Env is the environment variable it came from, if any.
	Env string
	// Path is the file it came from, if any.
	Path string
	// Created reports that the file was generated just now.
	Created bool
}

// String describes the source without revealing the secret.
func (s Source) String() string {
	switch {
	case s.Env != "":
		return "from $" + s.Env
	case s.Created:
		return s.Path + " (generated)"
	default:
		return s.Path
	}
}

// LoadMasterKey returns the master key given in envValue (the content of
// IVVY_NOTIFY_MASTER_KEY) or else read from <dataDir>/master.key. When
// neither exists and create is true, a key is generated into that file with
// mode 0600.
func LoadMasterKey(dataDir, envValue string, create bool, r io.Reader) (*MasterKey, Source, error) {
	if envValue != "" {
		k, err := ParseMasterKey(envValue)
		if err != nil {
			return nil, Source{}, fmt.Errorf("IVVY_NOTIFY_MASTER_KEY: %w", err)
		}
		return k, Source{Env: "IVVY_NOTIFY_MASTER_KEY"}, nil
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	text, created, err := readOrCreate(path, create, func() (string, error) {
		k, err := NewMasterKey(r)
		if err != nil {
			return "", err
		}
		return k.String(), nil
	})
	if err != nil {
		return nil, Source{}, err
	}
	k, err := ParseMasterKey(text)
	if err != nil {
		return nil, Source{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, Source{Path: path, Created: created}, nil
}

// LoadAdminToken returns the admin API's bearer token: envValue (the
// content of IVVY_NOTIFY_ADMIN_TOKEN) or else <dataDir>/admin-token,
// generated with mode 0600 on first use.
func LoadAdminToken(dataDir, envValue string, r io.Reader) (string, Source, error) {
	if envValue != "" {
		return envValue, Source{Env: "IVVY_NOTIFY_ADMIN_TOKEN"}, nil
	}
	path := filepath.Join(dataDir, AdminTokenFile)
	token, created, err := readOrCreate(path, true, func() (string, error) { return RandomHex(r, 32) })
	if err != nil {
		return "", Source{}, err
	}
	if token == "" {
		return "", Source{}, fmt.Errorf("%s is empty", path)
	}
	return token, Source{Path: path, Created: created}, nil
}

// readOrCreate returns the trimmed content of path, or writes gen()'s
// value there (0600, never overwriting a file created meanwhile).
func readOrCreate(path string, create bool, gen func() (string, error)) (string, bool, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if err := checkPrivate(path); err != nil {
			return "", false, err
		}
		return strings.TrimSpace(string(b)), false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) || !create {
		return "", false, err
	}
	value, err := gen()
	if err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readOrCreate(path, false, gen)
	}
	if err != nil {
		return "", false, err
	}
	if _, err := f.WriteString(value + "\n"); err != nil {
		f.Close()
		return "", false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", false, err
	}
	return value, true, f.Close()
}

// checkPrivate refuses a secret file that others can read.
func checkPrivate(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s is readable by others (mode %04o); run: chmod 600 %s", path, info.Mode().Perm(), path)
	}
	return nil
}
