"""The database port's SQL adapter: models, engine, unit of work, repositories, migrations."""
