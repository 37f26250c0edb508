package org.flowrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `flowrt train` as a user runs it: resume is the same run, the metrics log is a true record, health is reported. */
class TrainCliTest {
  @TempDir static Path shared;
  static Path data;
  @TempDir Path dir;

  @BeforeAll
  static void makeData() throws IOException {
    data = CliRunner.idxDataset(shared.resolve("data"), 32, 8);
  }

  static String[] train(Path out, String... more) {
    return CliRunner.train(data, out, more);
  }

  static List<JsonObject> metrics(Path out) throws IOException {
    List<JsonObject> records = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"), StandardCharsets.UTF_8))
      records.add(JsonParser.parseString(line).getAsJsonObject());
    return records;
  }

  static List<Long> trainSteps(List<JsonObject> records) {
    return records.stream().filter(o -> o.has("train_bpd")).map(o -> o.get("step").getAsLong()).toList();
  }

  @Test
  void aRunThenItsResumeMakeOneRunWithOneLog() throws IOException {
    Path out = dir.resolve("run");
    CliRunner.Result first = CliRunner.run(train(out, "--max-steps", "3"));
    assertEquals(0, first.exit(), first.toString());
    assertTrue(first.out().contains("test bpd"), first.toString());
    assertEquals(List.of(1L, 2L, 3L), trainSteps(metrics(out)));

    // A crash after step 3's checkpoint: steps 4 and 5 were logged, then half a record.
    String extra = "{\"step\":4,\"train_bpd\":3.0,\"skipped\":false}\n{\"step\":5,\"train_bpd\":3.0,\"skipped\":false}\n{\"step\":6,\"tra";
    Files.writeString(out.resolve("metrics.jsonl"), extra, java.nio.file.StandardOpenOption.APPEND);
    Files.writeString(out.resolve(".checkpoint.safetensors.123.tmp"), "half a save");

    CliRunner.Result resumed = CliRunner.run("train", "--out", out.toString(), "--resume", "--max-steps", "6", "--lr", "0.002",
        "--samples", "4", "--eval-images", "8");
    assertEquals(0, resumed.exit(), resumed.toString());
    assertTrue(resumed.err().contains("removed 1 temporary file"), resumed.err());
    assertFalse(Files.exists(out.resolve(".checkpoint.safetensors.123.tmp")));
    List<JsonObject> records = metrics(out);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), trainSteps(records), "each step once: the replayed ones and the torn line are gone");
    JsonObject resume = records.stream().filter(o -> o.has("event") && o.get("event").getAsString().equals("resume")).findFirst().orElseThrow();
    assertEquals(3, resume.get("step").getAsLong());
    assertEquals(0.002, resume.getAsJsonObject("changed").getAsJsonObject("learningRate").get("to").getAsDouble(), 1e-9);
    assertTrue(resume.getAsJsonObject("changed").has("maxSteps"), resume.toString());
    long evals = records.stream().filter(o -> o.has("test_bpd")).count();
    assertEquals(2, evals, "both sessions' evaluations are in the log");
    assertEquals(1, records.stream().filter(o -> o.has("event") && o.get("event").getAsString().equals("summary")
        && o.get("step").getAsLong() == 6).count());
  }

  @Test
  void resumeRefusesOptionsThatDefineTheRun() throws IOException {
    Path out = dir.resolve("run");
    assertEquals(0, CliRunner.run(train(out, "--max-steps", "2")).exit());
    byte[] checkpoint = Files.readAllBytes(out.resolve("checkpoint.safetensors"));
    CliRunner.Result r = CliRunner.run("train", "--out", out.toString(), "--resume", "--max-steps", "4", "--seed", "99",
        "--optimizer", "adam", "--batch", "4", "--width", "16");
    assertEquals(2, r.exit(), r.toString());
    String e = String.join("\n", r.errors());
    for (String field : List.of("seed: saved 1, requested 99", "optimizer: saved ADAMAX, requested ADAM", "batch: saved 8, requested 4",
        "hiddenWidth: saved 8, requested 16"))
      assertTrue(e.contains(field), "names " + field + ": " + e);
    assertTrue(Arrays.equals(checkpoint, Files.readAllBytes(out.resolve("checkpoint.safetensors"))), "the checkpoint is untouched");
  }

  @Test
  void aFreshRunReplacesTheLogOfARunThatLeftNoCheckpoint() throws IOException {
    Path out = dir.resolve("run");
    Files.createDirectories(out);
    Files.writeString(out.resolve("metrics.jsonl"), "{\"step\":1,\"train_bpd\":9.0,\"skipped\":false}\n{\"step\":2,\"tr");
    CliRunner.Result r = CliRunner.run(train(out, "--max-steps", "2"));
    assertEquals(0, r.exit(), r.toString());
    List<JsonObject> records = metrics(out);
    assertEquals(List.of(1L, 2L), trainSteps(records));
    assertTrue(records.get(0).get("train_bpd").getAsDouble() < 9.0, "the old run's record is gone");
  }

  @Test
  void aDivergingRunKeepsTheLastCheckpointWhoseLossWasFinite() throws IOException {
    Path out = dir.resolve("run");
    // An absurd learning rate with no warm-up: the first updates throw the weights far out.
    CliRunner.Result r = CliRunner.run(train(out, "--max-steps", "30", "--lr", "1e12", "--warmup-epochs", "0", "--checkpoint-minutes", "0"));
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.errors().get(0).contains("diverged") || r.errors().get(0).contains("non-finite"), r.toString());
    assertTrue(r.errors().get(0).contains("keeps step"), r.toString());
    CliRunner.Result eval = CliRunner.run("eval", "--checkpoint", out.resolve("checkpoint.safetensors").toString(), "--data",
        data.toString(), "--images", "8");
    assertEquals(0, eval.exit(), "the kept checkpoint evaluates to a finite bpd: " + eval);
    assertTrue(metrics(out).stream().anyMatch(o -> o.has("event") && o.get("event").getAsString().equals("diverged")));
  }

  /** Rewrites one value of a checkpoint tensor (with fresh checksums: a valid file whose model computes non-finite values). */
  static void setValue(Path checkpoint, String tensor, float value) throws IOException {
    org.flowrt.io.Safetensors.Contents c = org.flowrt.io.Safetensors.read(checkpoint);
    c.tensors().get(tensor).floats()[0] = value;
    org.flowrt.io.Safetensors.write(checkpoint, c.tensors(), c.metadata());
  }

  @Test
  void nonFiniteResultsAreErrorsThatNameTheLayer() throws IOException {
    Path out = dir.resolve("run");
    assertEquals(0, CliRunner.run(train(out, "--max-steps", "1")).exit());
    Path broken = out.resolve("checkpoint.safetensors");
    // exp(3·1e30) overflows: the first actnorm's output is infinite.
    setValue(broken, "level0.step0.actnorm.logs", 1e30f);
    CliRunner.Result eval = CliRunner.run("eval", "--checkpoint", broken.toString(), "--data", data.toString(), "--images", "8");
    OptionsCliTest.assertRefused(eval, "level0.step0.actnorm");
    assertTrue(eval.errors().get(0).contains("log-likelihood of image 0"), eval.toString());
    assertFalse(eval.out().contains("test bpd"), "no bpd is printed: " + eval);

    // A top prior whose scale overflows: sampling would produce an image of non-finite values.
    Path png = dir.resolve("s.png");
    setValue(broken, "level0.step0.actnorm.logs", 0f);
    setValue(broken, "top_prior.logs", 100f);
    CliRunner.Result sample = CliRunner.run("sample", "--checkpoint", broken.toString(), "--out", png.toString(), "--count", "2");
    OptionsCliTest.assertRefused(sample, "top_prior");
    assertFalse(Files.exists(png), "no image of NaNs is written");
  }

  @Test
  void planPredictsTheMeasuredPeakOfTraining() throws IOException {
    Path out = dir.resolve("run");
    assertEquals(0, CliRunner.run(train(out, "--max-steps", "2")).exit());
    List<Long> measured = metrics(out).stream().filter(o -> o.has("peak_bytes")).map(o -> o.get("peak_bytes").getAsLong()).toList();
    assertEquals(2, measured.size());
    CliRunner.Result plan = CliRunner.run("plan", "--levels", "2", "--steps", "1", "--width", "8", "--batch", "8", "--image-size", "8",
        "--channels", "1", "--device", "cpu");
    assertEquals(0, plan.exit(), plan.toString());
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("peak .*\\((\\d+) bytes\\)").matcher(plan.out());
    assertTrue(m.find(), plan.out());
    long planned = Long.parseLong(m.group(1));
    for (long bytes : measured) assertEquals(planned, bytes, "planned vs measured peak of a training step: " + plan.out());
  }
}
