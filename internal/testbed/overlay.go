package testbed

// Overlay returns e with every variable that the env file at path sets (the
// export lines scripts/lib/*.sh write, e.g. a private Prosody's or Postgres's
// under a test's own STATE) in place of e's value; the others stay.
func (e Env) Overlay(path string) (Env, error) {
	file, err := readEnvFile(path)
	if err != nil {
		return e, err
	}
	e.Components = append([]string(nil), e.Components...)
	for _, v := range variables {
		if val, ok := file[v.name]; ok {
			v.set(&e, val)
		}
	}
	return e, nil
}
