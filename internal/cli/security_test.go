package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/app"
	"vigil/internal/service"
	"vigil/internal/store"
)

// TestUserReset2FA is the operator's way back in for an administrator who
// lost their second factor: the factor is gone and must be set up again.
func TestUserReset2FA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	keyFile := filepath.Join(t.TempDir(), "k.key")
	if code, out, errs := run(t, nil, "init", "--data", dir, "--key-file", keyFile); code != 0 {
		t.Fatalf("init: %d %q %q", code, out, errs)
	}
	env := map[string]string{"VIGIL_KEY_FILE": keyFile}
	key, err := app.ReadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: dir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(st)
	admin, err := st.GetUserByUsername(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.StartMFAEnrolment(ctx, admin.ID, []byte("sealed"), svc.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.ConfirmMFA(ctx, admin.ID, 1, nil, svc.Now()); err != nil {
		t.Fatal(err)
	}
	st.Close()

	if code, _, errs := run(t, env, "user", "reset-2fa", "--data", dir, "--username", "nobody"); code != 1 || !strings.Contains(errs, "no user") {
		t.Fatalf("unknown user: %d %q", code, errs)
	}
	if code, _, _ := run(t, env, "user", "reset-2fa", "--data", dir); code != 2 {
		t.Fatalf("no username: %d", code)
	}
	if code, out, errs := run(t, env, "user", "reset-2fa", "--data", dir, "--username", "admin"); code != 0 || !strings.Contains(out, "Removed the second factor of admin") {
		t.Fatalf("reset: %d %q %q", code, out, errs)
	}
	st, err = store.Open(ctx, store.Config{Dir: dir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := st.GetMFA(ctx, admin.ID)
	if err != nil || m.Enabled() || !m.MustEnrol {
		t.Fatalf("after the reset: %+v %v", m, err)
	}
}
