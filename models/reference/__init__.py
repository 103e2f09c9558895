"""Float64 reference implementations that produce the golden fixtures the TypeScript numeric core is tested against."""
