"""Plain INSERT and UPDATE of model rows, for the few writes every submission makes.

Building an INSERT through `Model.objects.create` costs more Python than the database spends on it
(docs/benchmarks.md, intake). These helpers build each statement once per model and shape, then only
prepare the values, exactly as the ORM prepares them (`Field.pre_save` fills `auto_now` fields,
`get_db_prep_save` adapts JSON, dates and foreign keys), so the row is the one `save()` would write.

They are only for plain models: a model with its own `save()` (unless all that save() adds to a new row is
done by the model's `before_insert()`, which `insert` then calls), with `pre_save` / `post_save` receivers,
with database defaults or with a parent model goes through the ORM instead, so nothing that listens for
a save is ever skipped. The caller's transaction holds the write, as with the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.fields import NOT_PROVIDED
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=models.Model)

_statements: dict[tuple[Any, ...], str] = {}


def is_plain(model: type[models.Model]) -> bool:
    """True when saving an instance of `model` does nothing beyond writing its row."""
    return _is_plain_class(model) and not pre_save.has_listeners(model) and not post_save.has_listeners(model)


@cache
def _is_plain_class(model: type[models.Model]) -> bool:
    """What the class alone decides (fixed once the models are loaded; listeners come and go, so they are asked
    each time): no save() of its own beyond before_insert(), no parent model, no database defaults."""
    meta = model._meta
    return (
        (model.save is models.Model.save or callable(getattr(model, "before_insert", None)))
        and not meta.parents
        and all(getattr(f, "db_default", NOT_PROVIDED) is NOT_PROVIDED for f in meta.concrete_fields)
    )


@cache
def _fields(model: type[models.Model]) -> list[Any]:
    return [f for f in model._meta.concrete_fields if not f.primary_key and not getattr(f, "generated", False)]


def _insert_sql(db: Any, model: type[models.Model], rows: int, *, returning: bool, ignore_conflicts: bool) -> str:
    key = (model, rows, returning, ignore_conflicts, db.vendor)
    sql = _statements.get(key)
    if sql is None:
        quote = db.ops.quote_name
        fields = _fields(model)
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
            f"VALUES {', '.join([one] * rows)}"
        )
        if ignore_conflicts:
            sql += " ON CONFLICT DO NOTHING"
        if returning:
            sql += f" RETURNING {quote(model._meta.pk.column)}"
        _statements[key] = sql
    return sql


def _values(db: Any, obj: models.Model, fields: list[Any]) -> list[Any]:
    for field in fields:  # an object assigned to a foreign key after it was saved: take its id now
        if field.is_relation and field.is_cached(obj):
            related = getattr(obj, field.name)
            if related is not None and getattr(obj, field.attname) is None:
                setattr(obj, field.attname, related.pk)
    return [field.get_db_prep_save(field.pre_save(obj, True), db) for field in fields]


def _wrapper() -> Any:
    """The connection wrapper itself: `connection` is a proxy that looks the wrapper up on every attribute."""
    return connections[DEFAULT_DB_ALIAS]


def insert(obj: M) -> M:
    """INSERT one new instance and set its primary key, as `obj.save(force_insert=True)` would."""
    model, db = type(obj), _wrapper()
    if not is_plain(model) or db.vendor not in ("sqlite", "postgresql"):
        obj.save(force_insert=True)
        return obj
    if hasattr(obj, "before_insert"):
        obj.before_insert()
    fields = _fields(model)
    returning = db.features.can_return_columns_from_insert
    with db.cursor() as cursor:
        cursor.execute(_insert_sql(db, model, 1, returning=returning, ignore_conflicts=False),
                       _values(db, obj, fields))
        pk = cursor.fetchone()[0] if returning else db.ops.last_insert_id(
            cursor, model._meta.db_table, model._meta.pk.column)
    obj.pk = pk
    obj._state.adding, obj._state.db = False, db.alias
    return obj


def create(model: type[M], **values: Any) -> M:
    """`model.objects.create(**values)` through `insert`."""
    return insert(model(**values))


def insert_many(objs: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
    """INSERT new instances of one model in one statement; their primary keys are not read back
    (use it for rows nobody refers to in the same transaction, e.g. index keys)."""
    if not objs:
        return
    model, db = type(objs[0]), _wrapper()
    if not is_plain(model) or db.vendor not in ("sqlite", "postgresql"):
        model._default_manager.bulk_create(list(objs), ignore_conflicts=ignore_conflicts)
        return
    fields = _fields(model)
    params: list[Any] = []
    for obj in objs:
        if hasattr(obj, "before_insert"):
            obj.before_insert()
        params += _values(db, obj, fields)
    with db.cursor() as cursor:
        cursor.execute(_insert_sql(db, model, len(objs), returning=False, ignore_conflicts=ignore_conflicts), params)


def update(obj: models.Model, *names: str, only_if: dict[str, Any] | None = None) -> int:
    """UPDATE the named fields of a saved instance, as `obj.save(update_fields=names)` would for a plain model;
    with `only_if` ({column field: value}) only while the row still holds those values. The rows changed."""
    model, db = type(obj), _wrapper()
    condition = dict(only_if or {})
    if not is_plain(model) or hasattr(model, "before_insert") or db.vendor not in ("sqlite", "postgresql"):
        if not condition:
            obj.save(update_fields=list(names))
            return 1
        attnames = [model._meta.get_field(name).attname for name in names]
        changed = model._default_manager.filter(pk=obj.pk, **condition).update(
            **{attname: getattr(obj, attname) for attname in attnames})
        return int(changed)
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    checked = [meta.get_field(name) for name in condition]
    key = (model, "update", tuple(names), tuple(condition), db.vendor)
    sql = _statements.get(key)
    if sql is None:
        quote = db.ops.quote_name
        sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        where = "".join(f" AND {quote(f.column)} = %s" for f in checked)
        sql = _statements[key] = (
            f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s{where}"  # noqa: S608
        )
    params = [f.get_db_prep_save(f.pre_save(obj, False), db) for f in fields]
    expected = [f.get_db_prep_value(value, db, prepared=False) for f, value in zip(checked, condition.values(),
                                                                                   strict=True)]
    with db.cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk, *expected])
        return int(cursor.rowcount)
