"""People: one index per way they are looked up (see Person.Meta.indexes).

The ``db_index`` of grid_code, name, id_number_hash, phone_hash and key_id gave each a
second, ``varchar_pattern_ops`` index on PostgreSQL, and grid_code a plain index beside
(grid_code, status): 14 secondary indexes on PostgreSQL for a bulk import to build, 9 now.
The state changes are Django's own; the database work is done directly so that SQLite
does not copy the whole table five times (its way of altering a column): the old
single-column indexes are dropped and the new ones created — on SQLite the same columns as
before, under new names. The unique constraint is rebuilt only where its SQL changed
(PostgreSQL: the byte-wise operator class).
"""

from django.db import migrations, models

PATTERN = "varchar_pattern_ops"
COLUMNS = ("grid_code", "name", "id_number_hash", "phone_hash", "key_id")
INDEXES = [
    models.Index(fields=["grid_code"], name="person_grid_prefix", opclasses=[PATTERN]),
    models.Index(fields=["name"], name="person_name"),
    models.Index(fields=["id_number_hash"], name="person_id_hash", opclasses=[PATTERN]),
    models.Index(fields=["phone_hash"], name="person_phone_hash", opclasses=[PATTERN]),
    models.Index(fields=["key_id"], name="person_key_id", opclasses=[PATTERN]),
]
NOT_EMPTY = ~models.Q(id_number_hash="")
OLD_UNIQUE = models.UniqueConstraint(
    fields=["id_number_hash"], condition=NOT_EMPTY, name="one_person_per_id_number"
)
NEW_UNIQUE = models.UniqueConstraint(
    fields=["id_number_hash"],
    condition=NOT_EMPTY,
    name="one_person_per_id_number",
    opclasses=[PATTERN],
)


def _single_column_indexes(schema_editor, table, keep):
    """Names of the plain (non-unique) one-column indexes on COLUMNS, except ``keep``."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in found.items()
        if info["index"]
        and not info["unique"]
        and not info["primary_key"]
        and len(info["columns"]) == 1
        and info["columns"][0] in COLUMNS
        and name not in keep
    ]


def _swap_unique(schema_editor, model, old, new):
    if str(old.create_sql(model, schema_editor)) != str(new.create_sql(model, schema_editor)):
        schema_editor.remove_constraint(model, old)
        schema_editor.add_constraint(model, new)


def forwards(apps, schema_editor):
    person = apps.get_model("registry", "Person")
    table = person._meta.db_table
    new_names = {index.name for index in INDEXES}
    for name in _single_column_indexes(schema_editor, table, keep=new_names):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")
    for index in INDEXES:
        schema_editor.add_index(person, index)
    _swap_unique(schema_editor, person, OLD_UNIQUE, NEW_UNIQUE)


def backwards(apps, schema_editor):
    """The ``db_index`` indexes again (named unlike Django's and unlike INDEXES; nothing
    depends on the names)."""
    person = apps.get_model("registry", "Person")
    _swap_unique(schema_editor, person, NEW_UNIQUE, OLD_UNIQUE)
    for index in INDEXES:
        schema_editor.remove_index(person, index)
    postgres = schema_editor.connection.vendor == "postgresql"
    for column in COLUMNS:
        plain = models.Index(fields=[column], name=f"registry_person_{column}_plain")
        schema_editor.add_index(person, plain)
        if postgres:
            like = models.Index(
                fields=[column], name=f"registry_person_{column}_like", opclasses=[PATTERN]
            )
            schema_editor.add_index(person, like)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_one_person_per_id_number"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.RemoveConstraint(model_name="person", name="one_person_per_id_number"),
                migrations.AlterField(
                    model_name="person",
                    name="grid_code",
                    field=models.CharField(max_length=15, verbose_name="grid code"),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="id_number_hash",
                    field=models.CharField(blank=True, editable=False, max_length=64),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="key_id",
                    field=models.CharField(blank=True, editable=False, max_length=16),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="name",
                    field=models.CharField(max_length=60, verbose_name="name"),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="phone_hash",
                    field=models.CharField(blank=True, editable=False, max_length=64),
                ),
                *(migrations.AddIndex(model_name="person", index=index) for index in INDEXES),
                migrations.AddConstraint(model_name="person", constraint=NEW_UNIQUE),
            ],
        ),
    ]
