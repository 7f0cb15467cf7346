package cmdtable

//go:generate go run ./internal/gencmdtable -out table.go
