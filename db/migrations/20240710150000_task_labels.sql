-- migrate:up
CREATE TABLE task_labels (
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    label varchar(40) NOT NULL,
    PRIMARY KEY (task_id, label)
);

CREATE INDEX task_labels_label_idx ON task_labels (label);

-- migrate:down
DROP TABLE task_labels;
