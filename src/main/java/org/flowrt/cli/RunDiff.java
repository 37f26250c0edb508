package org.flowrt.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a resumed run's options change of the saved run, field by field: fields that define the
 * run (model, seed, data order, optimizer) may not change, and are listed as refusals; the others
 * (learning rate, budget, …) may, and are listed as changes for the metrics log.
 */
final class RunDiff {
  private final List<String> refused = new ArrayList<>();
  private final JsonObject changed = new JsonObject();

  /** Compares two records of one type; `mayChange` names the components that may differ. */
  <R extends Record> RunDiff compare(String what, R saved, R requested, Set<String> mayChange) {
    for (RecordComponent c : saved.getClass().getRecordComponents()) {
      Object a = get(c, saved), b = get(c, requested);
      if (Objects.equals(a, b)) continue;
      if (mayChange.contains(c.getName())) {
        JsonObject d = new JsonObject();
        d.add("from", json(a));
        d.add("to", json(b));
        changed.add(c.getName(), d);
      } else {
        refused.add(what + " " + c.getName() + ": saved " + a + ", requested " + b);
      }
    }
    return this;
  }

  private static Object get(RecordComponent c, Record r) {
    try {
      return c.getAccessor().invoke(r);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonPrimitive json(Object v) {
    if (v instanceof Number n) return new JsonPrimitive(n);
    if (v instanceof Boolean b) return new JsonPrimitive(b);
    return new JsonPrimitive(String.valueOf(v));
  }

  List<String> refused() {
    return refused;
  }

  JsonObject changed() {
    return changed;
  }
}
