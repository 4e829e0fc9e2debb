/** How a check run ends; the renderers never need the other conclusions GitHub knows. */
export type CheckConclusion = 'success' | 'failure' | 'neutral';

/** A check-run annotation, field for field as the Checks API takes it. */
export interface CheckAnnotation {
  /** Path of the annotated file in the repository. */
  path: string;
  /** 1-based first line. */
  start_line: number;
  /** 1-based last line. */
  end_line: number;
  /** 1-based first column; only when the annotation starts and ends on the same line. */
  start_column?: number;
  /** 1-based last column; only when the annotation starts and ends on the same line. */
  end_column?: number;
  /** Severity shown by GitHub. */
  annotation_level: 'notice' | 'warning' | 'failure';
  /** What is wrong (plain text, at most 64 KB). */
  message: string;
  /** Short heading (at most 255 characters). */
  title?: string;
}

/** Everything a check run shows: its conclusion and its output. */
export interface CheckRunReport {
  /** The check run's conclusion. */
  conclusion: CheckConclusion;
  /** One-line title shown next to the check's name. */
  title: string;
  /** Markdown summary, at most 65,535 characters. */
  summary: string;
  /** Annotations, in any number: send them with `batchAnnotations`. */
  annotations: CheckAnnotation[];
}
