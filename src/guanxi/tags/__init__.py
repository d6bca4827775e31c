"""Tags: manual tags set by people, automatic tags set by every scoring run, the
tag coverage the business tracks, and each customer's purchase preferences."""
