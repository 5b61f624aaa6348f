"""Stories: documents about the same event, whether or not they share text.

See ``newstrace.stages.stories.cluster`` for the method.
"""

from newstrace.stages.stories.cluster import StoryConfig, cluster_documents, update_stories
from newstrace.stages.stories.store import load_stories, save_stories, story_to_dict

__all__ = ["StoryConfig", "cluster_documents", "load_stories", "save_stories", "story_to_dict", "update_stories"]
