create unlogged table cache (k text primary key, v text);
